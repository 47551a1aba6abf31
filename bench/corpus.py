"""A synthetic corpus of Chinese local-government news for the extraction benchmark.

    .venv/bin/python bench/corpus.py [--mb 2.5] [--seed 7]

Writes bench/out/corpus.txt: articles separated by a blank line and a line `=====`. Each article has a
title line, a date line in one of several site styles, page furniture on some, and 6–25 paragraphs in
which about a third of the sentences carry figures (money, growth, counts, areas, periods, targets,
milestones, lists) and the rest is prose without any. Everything is composed from the pools below by a
seeded `random.Random`: same seed, same bytes. About 5% of the articles are converted to traditional
characters with OpenCC (`pip install opencc`), about 3% use full-width digits.
"""

from __future__ import annotations

import argparse
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import opencc

OUT = Path(__file__).resolve().parent / "out" / "corpus.txt"
SEPARATOR = "\n\n=====\n"
_SLOT = re.compile(r"\{(\w+)\}")
_FULL_WIDTH = str.maketrans("0123456789.%", "０１２３４５６７８９．％")
CN_DIGITS = "零一二三四五六七八九"


def _pool(text: str) -> tuple[str, ...]:
    return tuple(text.split())


COUNTIES = _pool("蓬江区 江海区 新会区 台山市 开平市 鹤山市 恩平市")
TOWNS = _pool(
    "棠下镇 杜阮镇 荷塘镇 白沙街道 外海街道 礼乐街道 会城街道 司前镇 崖门镇 双水镇 大鳌镇 睦洲镇 广海镇 "
    "海宴镇 斗山镇 都斛镇 川岛镇 水口镇 赤坎镇 月山镇 苍城镇 共和镇 址山镇 沙湖镇 大槐镇 圣堂镇 君堂镇 "
    "百合镇 塘口镇 端芬镇 汶村镇 北陡镇 宅梧镇 雅瑶镇 沙坪街道 潮连街道"
)
ZONES = _pool(
    "江门高新区 大广海湾经济区 银湖湾滨海新区 江门人才岛 滨江新区 珠西新材料集聚区 新会经济开发区 "
    "鹤山工业城 翠山湖新区 恩平工业园 台山工业新城 蓬江产业转移工业园 江沙示范园区 江门大型产业集聚区 "
    "苍江工业园 深江经济合作区 华侨华人文化交流合作示范区 银洲湖纸业基地 鹤山现代产业园 广海湾临港工业区"
)
CLUSTERS = _pool(
    "新能源电池 硅能源 新型储能 高端装备制造 新一代电子信息 大健康 现代农业与食品 纺织服装 金属制品 "
    "水暖卫浴 摩托车及零部件 造纸及纸制品 精细化工 新材料 数字经济 文化旅游 智能家电 生物医药 现代物流"
)
MONEY_INDICATORS = _pool(
    "地区生产总值 规上工业增加值 规上工业总产值 固定资产投资 工业投资 技改投资 社会消费品零售总额 "
    "进出口总额 出口总额 一般公共预算收入 税收收入 一般公共预算支出 农林牧渔业总产值 旅游总收入 "
    "实际利用外资 制造业投资 基础设施投资 房地产开发投资 民间投资 高技术制造业增加值 先进制造业增加值 "
    "金融机构本外币存款余额 贷款余额 民生类支出 研发经费投入 限上批发零售业销售额 网络零售额 服务业增加值"
)
COUNT_INDICATORS = _pool(
    "高新技术企业/家 规上工业企业/家 专精特新企业/家 省级以上研发机构/个 市重点项目/个 招商项目/宗 "
    "亿元以上项目/个 发明专利授权量/件 有效发明专利/件 保障性租赁住房/套 公办学位/个 充电桩/个 "
    "老旧小区改造项目/个 工业机器人/台 上市公司/家 特色产业园/个 新增市场主体/户 科技企业孵化器/家 "
    "民生实事/件 新增城镇就业/人 技能人才/人 家庭医生签约团队/支 乡村振兴示范带/条 普惠性幼儿园/所 "
    "城市书房/间 侨资企业/家 外资企业/家 数字化车间/个"
)
SHARE_INDICATORS = _pool(
    "研发投入强度 城镇化率 森林覆盖率 空气质量优良天数比例 先进制造业增加值占比 "
    "高技术制造业增加值占规上工业比重 民生支出占比 数字经济核心产业占比 新能源汽车渗透率 一次性验收合格率"
)
AREA_PHRASES = _pool("规划面积 总用地面积 建成区面积 可供开发用地 连片用地 首期用地 拓展区面积")
PRODUCTS = _pool(
    "动力电池 储能电池 光伏组件 硅片 电子元器件 智能马桶 不锈钢厨具 摩托车发动机 调味品 "
    "特种纸 工业机器人 医疗器械 显示面板 锂电池隔膜 智能卫浴 新能源汽车零部件"
)
COMPANY_HEADS = _pool(
    "华创 联盛 海川 粤锋 侨兴 恒达 锦程 新辉 博远 骏业 盈科 汇宇 鸿基 嘉德 科瑞 德润 泰和 力拓"
)
COMPANY_TAILS = _pool("科技有限公司 股份有限公司 集团 实业有限公司 智能制造有限公司 新材料有限公司")
PROJECT_TAILS = _pool(
    "生产基地项目 产业园项目 总部基地 研发中心 智能制造项目 标准厂房 扩产项目 二期项目 "
    "污水处理厂提标改造工程 综合体 物流园 产业孵化器 变电站 体育馆 人民医院新院区"
)
INFRASTRUCTURE = _pool(
    "深江铁路江门段 珠肇高铁江门段 江门站综合交通枢纽 黄茅海跨海通道 银洲湖高速 江门大道北延线 "
    "中微子实验站 潭江大桥 广海湾港区码头 江门北站 胜利路南延线"
)
SURNAMES = _pool("陈 李 黄 梁 张 吴 林 谭 区 甄 关 伍 余 赵 冯 邓 叶 何 罗 周 司徒 欧阳 刘 郑 胡")
GIVEN = _pool(
    "志强 伟明 建华 晓峰 丽娟 永乐 国辉 少芬 嘉欣 俊杰 海燕 文彬 锦荣 秀英 子龙 卓然 宇航 惠玲 家豪 金华"
)
TITLES = _pool(
    "市委书记 市长 副市长 区委书记 区长 市发展改革局局长 市工业和信息化局负责人 市商务局局长 "
    "园区管委会主任 镇党委书记 村党支部书记 市科技局副局长 市住建局相关负责人 市统计局相关负责人"
)
OUTLETS = _pool(
    "江门日报 江门发布 江门市人民政府网 台山市融媒体中心 开平市融媒体中心 新会区人民政府 "
    "鹤山市融媒体中心 江门广播电视台 侨乡开平 恩平发布 蓬江发布 江海发布"
)
DEPTS = _pool(
    "市发展改革局 市工业和信息化局 市商务局 市科技局 市自然资源局 市住房城乡建设局 市农业农村局 "
    "市文化广电旅游体育局 市人力资源社会保障局 市市场监管局 市投资促进中心 市政务服务数据管理局"
)
SECTIONS = _pool("要闻动态 江门要闻 部门动态 区县动态 政务公开 热门资讯 图片新闻 经济发展 重点项目")
CONNECTORS = (
    *[""] * 14,
    *_pool(
        "同时， 此外， 与此同时， 另一方面， 值得一提的是， 据了解， 记者了解到， 近年来， 下一步， "
        "当前， 今年以来， 接下来， 为此， 对此， 目前， 事实上， 不仅如此， 在此基础上， 此后，"
    ),
)
HEADINGS = _pool(
    "以项目建设为引擎 做强做优实体经济 持续优化营商环境 坚持创新驱动发展 推动城乡区域协调发展 "
    "厚植侨乡文化底蕴 以制造业为牵引 以园区为载体 抓好民生实事 筑牢安全底线 深化改革开放 "
    "打造人才集聚高地 推进绿色低碳转型 建设宜居宜业和美乡村 聚力招商引资 激发消费活力"
)
PHRASES: dict[str, tuple[str, ...]] = {
    "goal": _pool(
        "制造业高质量发展 招商引资 项目建设 产城融合 乡村振兴 城市品质提升 科技创新 营商环境优化 "
        "绿色低碳转型 数字政府建设 民营经济发展 县域经济振兴 百县千镇万村高质量发展工程 侨乡文旅融合"
    ),
    "work": _pool("全年工作 经济工作 各项工作 园区建设 政府工作"),
    "focus": _pool("重中之重 主抓手 头号工程 首要任务 突破口 关键一招"),
    "scene": _pool(
        "一栋栋标准厂房拔地而起，道路两旁绿树成荫 塔吊林立、机器轰鸣，施工人员正在加紧作业 "
        "自动化生产线高速运转，机械臂精准地完成抓取和焊接 宽阔的道路纵横交错，企业的招牌整齐醒目 "
        "碧波荡漾的河面与绿色的生态廊道交相辉映 新建的人才公寓和配套商业街已初具规模 "
        "展厅里陈列着企业自主研发的新产品，不少客商驻足观看 一辆辆货车进进出出，装卸工人忙个不停"
    ),
    "quote_head": _pool(
        "我们将坚持把项目建设作为经济工作的主抓手 企业在这里能够找到完整的上下游配套 "
        "政府部门的服务非常到位 这几年家门口的变化实实在在 我们对在这里长期发展充满信心 "
        "要把群众的急难愁盼放在心上 招商引资要盯住产业链的关键环节 好的营商环境就是生产力 "
        "园区的审批效率比我们预想的快得多 只有抓住实体经济才能行稳致远 乡村振兴关键在产业 "
        "人才是第一资源 我们要把侨乡的独特优势转化为发展胜势"
    ),
    "quote_tail": _pool(
        "下一步还会继续加大投入 这让我们更有底气扩大生产 我们会一项一项抓落实 "
        "希望更多的年轻人回到家乡创业 必须以更大的决心和力度推进 这也是我们选择这里的重要原因 "
        "要确保每一个项目都能顺利落地 大家的日子会越过越红火 要让企业办事少跑腿 "
        "我们有信心把这件事情做好"
    ),
    "workline": _pool(
        "工人们正有条不紊地检查刚下线的产品 一排排智能设备昼夜不停地运转 技术人员紧盯屏幕调试新设备 "
        "订单排得满满当当，生产线开足马力 新引进的检测设备让产品合格率明显提升"
    ),
    "resource": _pool(
        "良好的生态环境 深厚的侨乡文化 便利的交通区位 传统的产业基础 丰富的农业资源 滨海的资源禀赋"
    ),
    "adj": _pool("特色鲜明 稳中有进 蓬勃向上 量质齐升 集聚发展 协同高效 错位发展 后劲十足 多点开花"),
    "policy": _pool(
        "一网通办 拿地即开工 交地即交证 首席服务官 一企一策 专班跟进 容缺受理 免申即享 "
        "标准地出让 并联审批 双容双承诺 企业服务直通车"
    ),
    "people": _pool("企业负责人 外来务工人员 村民 游客 市民 创业青年 新就业群体 老人和孩子 侨胞 小微企业主"),
    "feeling": _pool(
        "这些举措实实在在地解决了大家的难题 办事不用再来回跑了 身边的变化让人看得见摸得着 "
        "政策红利真正落到了口袋里 现在的生活比以前方便多了 希望这样的好政策能够一直坚持下去"
    ),
    "feeling2": _pool(
        "能在家门口就业是最大的心愿 更便捷的公共服务意味着更高的生活质量 一张清晰的时间表就是最好的承诺 "
        "政策的稳定性比什么都重要 一处好的公共空间就能改变整个社区的气质"
    ),
    "task": _pool(
        "要进一步压实责任 要强化统筹协调 要坚持项目为王 要加快补齐短板 要抓好风险防范 "
        "要持续优化服务 要盯紧关键节点 要推动政策直达快享 要主动靠前服务企业 要守牢安全生产底线 "
        "要加强督导检查 要推动资源要素向重点项目集聚"
    ),
    "result": _pool("按时保质完成 落地见效 取得实效 早见成效 按计划推进"),
    "topic": _pool(
        "项目建设 安全生产 招商引资 乡村振兴 防汛备汛 民生实事 生态环境保护 基层治理 "
        "稳就业 科技创新 城市更新 企业服务"
    ),
    "heritage": _pool(
        "碉楼和骑楼见证了华侨筚路蓝缕的奋斗历程 华侨先辈在这里留下了大量中西合璧的建筑 "
        "每逢节庆海外乡亲都会回乡探亲 一座座侨房讲述着游子与家乡的深厚情谊 村里的祠堂和书室保存完好"
    ),
    "question": _pool(
        "打破产业和城市之间的分割 让园区留住人才 让传统产业焕发新生机 让乡村留住乡愁 让企业安心扎根"
    ),
    "chain_action": _pool(
        "引进了一批上下游配套企业 建立了链长制工作机制 推动龙头企业与本地配套企业深度合作 "
        "着力补链延链强链 搭建了产业链供需对接平台"
    ),
    "region2": _pool("深圳 广州 港澳 珠海 佛山 东莞"),
    "spot": _pool(
        "滨江绿道 古劳水乡 碉楼群 侨墟 小鸟天堂 东湖公园 江滨公园 长堤历史文化街区 圭峰山 "
        "那琴半岛 梅家大院 赤坎古镇 立园 泮村灯会广场"
    ),
    "scene2": _pool(
        "青石板路两旁的老建筑修缮一新 河道两岸绿意盎然，游人三五成群 古色古香的骑楼里开起了咖啡馆和文创店 "
        "孩子们在草地上追逐嬉戏，老人们在树荫下下棋聊天 荷塘边的步道蜿蜒曲折，风景如画"
    ),
    "scene3": _pool(
        "游人如织，欢声笑语不断 市民们在江边散步、拍照 夜市摊位前排起了长队 江面倒映着两岸的灯光"
    ),
    "event": _pool(
        "华侨华人文化交流合作示范区建设 深江经济合作区建设 大湾区建设 百千万工程 "
        "粤港澳大湾区建设 侨都赋能工程 制造业当家"
    ),
    "field": _pool("产业结构 城乡面貌 发展格局 营商环境 乡村面貌 交通格局 生态环境 公共服务"),
    "mechanism": _pool("挂点联系 专班推进 周调度月通报 问题清单 领导包案 企业诉求快速响应"),
    "element_action": _pool(
        "统筹做好用地、用能、资金等要素保障 优先保障重点项目用地需求 加大对制造业企业的信贷支持 "
        "打通项目审批的堵点卡点"
    ),
    "goal2": _pool(
        "在推进中国式现代化建设中走在前列 建设国际一流产业集聚区 打造珠江西岸新增长极 "
        "建设更高水平的全国文明城市 打造面向港澳的重要门户"
    ),
    "problem": _pool("用地紧张 融资难融资贵 招工难 配套不足 审批慢 产业链条短"),
    "story": _pool(
        "见证了家乡从泥泞小路到宽阔大道的变化 最大的感受是日子越过越好 对村里的新变化赞不绝口 "
        "每天都会到新建的文化广场走一走 说起家乡的发展总是滔滔不绝"
    ),
    "campaign": _pool("百千万工程 绿美江门生态建设 产业有序转移 制造业当家 高质量发展招商年 湾区通工程"),
    "campaign_effect": _pool(
        "一批标志性成果相继涌现 城乡面貌焕然一新 发展动能不断增强 群众获得感持续提升 产业基础更加坚实"
    ),
    "advantage": _pool(
        "完善的产业配套和高效的政府服务 靠近港澳的区位优势 充足的土地空间和人才资源 "
        "良好的产业生态和便利的物流条件"
    ),
    "advantage2": _pool("侨乡 区位 空间 产业 生态 文化"),
    "brand": _pool("中国侨都 中国第一侨乡 世界美食之都 全国文明城市 国家卫生城市"),
    "brand_action": _pool(
        "持续提升城市知名度和美誉度 吸引越来越多的游客前来打卡 让更多海外侨胞感受家乡的变化 "
        "推动城市文化软实力不断增强"
    ),
    "quote_village": _pool(
        "现在村里的路灯亮了、道路宽了，晚上出来散步也安心 以前种地靠天吃饭，现在有了合作社心里踏实多了 "
        "家门口就有卫生站，看病方便多了 年轻人愿意回来了，村子也热闹起来了"
    ),
    "exhibit": _pool(
        "一件件新产品整齐排列，科技感十足 大屏幕实时显示着各生产线的运行情况 "
        "一张规划图清晰地标出了产业布局 展示墙记录着园区从无到有的发展历程"
    ),
    "principle": _pool("规划先行 项目为王 生态优先 以人民为中心 创新驱动 系统观念"),
    "activity": _pool(
        "各展位前人头攒动，企业代表与客商热烈洽谈 志愿者耐心地为群众答疑解惑 非遗表演赢得阵阵掌声 "
        "签约代表依次登台签约 招聘单位的摊位前排起了长队"
    ),
    "location": _pool("珠江西岸 粤港澳大湾区腹地 潭江之畔 银洲湖畔 黄茅海东岸 西江之滨"),
    "location_adv": _pool(
        "交通四通八达，区位优势明显 背山面海，生态环境优越 与港澳隔海相望，连接湾区与粤西 "
        "周边高速公路网络密集，物流十分便捷"
    ),
    "youth_story": _pool(
        "大学毕业后选择回乡创业 把家乡的农产品卖到了全国各地 带着团队开起了民宿 用短视频记录家乡的美景和美食"
    ),
    "system": _pool("现代化产业 公共服务 综合交通 科技创新 生态环境治理 现代物流"),
    "system_effect": _pool(
        "为高质量发展提供有力支撑 发展的基础越来越牢 城市能级和核心竞争力不断提升 群众的幸福感持续增强"
    ),
    "window": _pool("一个园区 一个项目 一家企业 一条街道 一个村庄"),
    "thing_a": _pool("田间地头 车间厂房 街头巷尾 江河湖岸"),
    "thing_b": _pool("生产线上 实验室里 办事大厅 社区广场"),
    "thing_c": _pool("传统产业 老旧小区 乡村道路 城中村"),
    "thing_d": _pool("新兴产业 现代社区 美丽乡村 城市客厅"),
    "verb_push": _pool("推进 推动 抓好 落实 实施"),
    "stage_done": _pool(
        "正式开工 顺利封顶 建成投产 竣工验收 正式投产 签约落地 动工建设 全面竣工 主体结构封顶 开通运营"
    ),
    "stage_future": _pool("建成投产 竣工投用 全面建成 开工建设 投入运营 通车"),
    "target_verb": _pool("力争 确保 争取 计划 预计 努力实现"),
    "quarter": _pool("一季度 二季度 第三季度 第四季度"),
    "dash": _pool("— - ～ 至 —"),
}
FIGURE_TEMPLATES = (
    "{period}，{home}实现{mind}{money}，同比增长{pct}。",
    "{period}，{sub}完成{mind}{money}，增速比上年同期提高{pp}。",
    "{period}，{home}{mind}同比增长{pct}，{mind}增长{pct}，{mind}下降{pct}。",
    "{period}，{home}{three_minds}分别增长{pct}、{pct}和{pct}。",
    "{conn}{sub}累计引进产业项目{n}个，总投资{money_q}。",
    "截至{month}末，{sub}{cind}达{count}，比上年末增加{n}{u}。",
    "到{ty}年，{home}{target_verb}{mind}突破{money}，年均增长{pct}左右。",
    "{ty}年，{home}{target_verb}{cind}达到{count}以上。",
    "{project}于{md}{stage_done}，总投资约{money}。",
    "目前，{project}已{stage_done}，预计{ty}年全面达产，达产后年产值可达{money}。",
    "{zone}{aind}{area}，其中首期启动区约{mu}亩。",
    "{period}，{sub}新增{cind}{count}，总数达到{count}。",
    "{sind}达到{share}，较上年提高{pp}，居全省第{rank}位。",
    "{home}{mind}总量迈上{money}新台阶，在全省排名前移{cn}位。",
    "{period}，全市共完成{cind}{count}，完成年度计划的{share}。",
    "{company}计划投资{money}建设{product}生产线，项目建成后预计年产值超{money}、年纳税{money}。",
    "{conn}{sub}新开工项目{n}个、新竣工项目{n}个、新投产项目{n}个。",
    "{period}，{home}接待游客{wan}万人次，实现旅游收入{money}，分别增长{pct}和{pct}。",
    "{sub}现有{cind}{count}，其中国家级{n}{u}、省级{n}{u}。",
    "全年安排{mind}{money}，同比增长{pct}，占全部支出的{share}。",
    "{project}计划{ty}年{stage_future}，届时将新增就业岗位{big}个。",
    "{period}，{home}城镇居民人均可支配收入{yuan}元，农村居民人均可支配收入{yuan}元，分别增长{pct}、{pct}。",
    "{period}，全市进出口总额{money}，其中出口{money}，增长{pct}；进口{money}，下降{pct}。",
    "{sub}已建成{cind}{count}，覆盖率达{share}。",
    "{home}今年共安排市重点项目{n}个，年度计划投资{money}；{period}完成投资{money}，完成年度计划的{share}。",
    "{infra}全长约{km}公里，设计时速{speed}公里，计划于{ty}年建成通车。",
    "{home}新增高标准农田{wanmu}万亩，粮食播种面积稳定在{wanmu}万亩以上。",
    "截至{md}，{sub}已签约项目{n}宗，意向投资额{money}，其中{cn}个项目已动工建设。",
    "{period}，{sub}规上工业总产值突破{money}，{cluster}产业产值增长{pct}，对全市工业增长的贡献率达{share}。",
    "“十四五”以来，{home}累计投入{money}，实施{cind}{count}。",
    "{sub}计划用{cn}年时间，投入{money}，打造产值超{money}的{cluster}产业集群。",
    "{period}，{home}{mind}增速为{pct}，高于全省平均水平{pp}，增速排名全省第{rank}。",
    "{project}占地{mu}亩，总建筑面积约{wansqm}万平方米，建成后年产{product}{wanjian}万件。",
    "按照计划，到{ty}年底，{home}{cind}将由目前的{count}增加到{count}。",
    "{md}，{home}举行{quarter}重大项目集中开工活动，{n}个项目集中开工，总投资{money}。",
    "{infra}{md}{stage_done}，比原计划提前{cn}个月。",
    "{conn}{town}{mind}达{money}，占全{unit_of_home}的{share}。",
)
PROSE_TEMPLATES = (
    "{conn}{home}坚持把{goal}作为{work}的{focus}，推动{cluster}产业向高端化、智能化、绿色化方向发展。",
    "走进{zone}，{scene}。",
    "“{quote}。”{title}{person}说。",
    "{title}{person}表示，{quote}。",
    "在{company}的生产车间里，{workline}。",
    "{town}依托{resource}，大力发展{cluster}产业，走出了一条{adj}的发展路子。",
    "{conn}{sub}将进一步优化营商环境，完善“{policy}”服务机制，为企业提供全生命周期服务。",
    "{conn}{home}把{goal}摆在更加突出的位置，以“{policy}”为抓手，推动各项工作落地见效。",
    "据介绍，{zone}重点发展{cluster}、{other_cluster}等产业，已初步形成{adj}的产业生态。",
    "不少{people}表示，{feeling}。",
    "记者在{zone}看到，{scene}。",
    "会议强调，{task}，{task}，确保各项任务{result}。",
    "{conn}{title}{person}一行深入{zone}、{town}等地，调研{topic}工作。",
    "{person}在调研中指出，{quote}。",
    "{conn}{sub}持续深化“{policy}”改革，企业办事更加便捷高效。",
    "这是{home}推动{goal}的一个缩影，也是{place}{field}之变的生动注脚。",
    "{town}是著名的侨乡，{heritage}。",
    "{conn}各地各部门{task}，以钉钉子精神抓好{topic}工作落实。",
    "{company}负责人{person}告诉记者，{quote}。",
    "如何{question}？{home}在{goal}中给出了自己的答案。",
    "{conn}{sub}围绕{cluster}产业链，{chain_action}。",
    "{conn}{home}积极对接粤港澳大湾区建设，主动承接{region2}、{region2}等地的{cluster}产业外溢。",
    "漫步在{town}的{spot}，{scene2}。",
    "对于{town}的{people}来说，{feeling2}。",
    "“{policy}”的推行，为{people}吃下了“定心丸”。",
    "{conn}{sub}将以{event}为契机，{task}，推动{goal}取得新突破。",
    "{zone}管委会相关负责人介绍，{quote}。",
    "从{thing_a}到{thing_b}，从{thing_c}到{thing_d}，{place}的{field}正在发生深刻变化。",
    "{home}还建立了{mechanism}机制，实行“{policy}”，推动问题在一线解决。",
    "{conn}{home}强化要素保障，{element_action}。",
    "{conn}{project}建设现场塔吊林立、机器轰鸣，工人们正抓紧施工。",
    "站在新的起点上，{home}将坚持{principle}，奋力{goal2}。",
    "“{quote}！”{person}的话道出了不少{people}的心声。",
    "{town}的{spot}经过改造提升，{scene2}，成为市民休闲打卡的好去处。",
    "在{cluster}领域，{place}拥有一批龙头企业和“专精特新”企业，{adj}的集聚效应日益凸显。",
    "{conn}{home}聚焦{topic}，出台了一系列{adj}的政策措施。",
    "{conn}{sub}着力破解{problem}、{problem}等难题，{task}。",
    "{title}{person}主持会议并讲话，{title}{person}出席。",
    "会上，{dept}、{dept}等单位围绕{topic}作了交流发言。",
    "{dept}相关负责人表示，下一步将{task}，{task}。",
    "{town}{people}{person}在这里生活了大半辈子，{story}。",
    "{conn}{home}大力实施“{campaign}”，{campaign_effect}。",
    "夜幕降临，{spot}灯光璀璨，{scene3}。",
    "{company}是一家专注于{product}研发、生产和销售的高新技术企业。",
    "{company}扎根{sub}，看中的是这里{advantage}。",
    "{conn}{home}持续擦亮“{brand}”城市品牌，{brand_action}。",
    "{town}村民{person}说：“{quote_village}。”",
    "在{zone}的展厅里，{exhibit}。",
    "“{quote}，”{person}说，“{quote}。”",
    "{conn}{sub}坚持{principle}，统筹推进{topic}和{topic}。",
    "{conn}活动现场，{activity}。",
    "{conn}{place}的{cluster}产业正呈现出{adj}的良好态势。",
    "一批批{cluster}项目在{zone}落地生根、开花结果，{campaign_effect}。",
    "{conn}要坚持问题导向，{task}，切实把{goal}的各项部署落到实处。",
    "{zone}地处{location}，{location_adv}。",
    "{home}将继续发挥{advantage2}优势，{task}，在{goal}上展现新作为。",
    "据悉，本次{topic}对接活动由{dept}主办，{dept}承办。",
    "{person}是{town}土生土长的年轻人，{youth_story}。",
    "{conn}{home}加快构建{system}体系，{system_effect}。",
    "这些变化，{town}的{people}看在眼里、喜在心头。",
    "{conn}{sub}深入开展“{campaign}”行动，{campaign_effect}。",
    "{title}{person}强调，{task}，{task}。",
    "透过{window}这扇窗口，可以看到{place}{field}{adj}的图景。",
    "随着{infra}的推进，{town}的区位优势将更加凸显。",
    "{conn}{home}正以更大力度{verb_push}{goal}，为全省高质量发展贡献{place}力量。",
    "{person}的{company}去年搬进了{zone}，{feeling}。",
)
TITLE_TEMPLATES = (
    "{place}：{heading}",
    "{period}{place}{mind}同比增长{pct}",
    "{infra}{stage_done}",
    "以{goal}引领{field}高质量发展",
    "{town}：{heading}，{feeling}",
    "{title}{person}到{zone}调研{topic}工作",
    "{place}{cn}个重大项目集中开工 总投资{money}",
    "{heading} {place}奋力{goal2}",
    "{project}{stage_done}",
    "{place}召开{topic}工作会议",
)
DATE_STYLES = (
    "发布时间：{t:%Y-%m-%d %H:%M}",
    "时间: {t:%Y-%m-%d %H:%M:%S}               文档来源:{outlet}",
    "来源：{outlet}    发布日期：{t.year}年{t:%m}月{t:%d}日",
    "{t:%Y-%m-%d %H:%M}  来源：{outlet}  作者：{person}",
    "发布日期：{t:%Y/%m/%d}    浏览次数：{views}",
    "【发布单位：{dept}】【发布时间：{t:%Y-%m-%d}】",
    "{t.year}年{t.month}月{t.day}日 {t:%H:%M} {outlet}",
    "信息来源：{outlet}  发布时间：{t:%Y-%m-%d}  【字体：大 中 小】",
)
TOP_FURNITURE = (
    "您现在所在位置：首页 > {section} > 正文",
    "当前位置：首页>>{section}",
    "首页 > 新闻中心 > {section}",
    "分享到：",
    "【字体：大 中 小】 【打印本页】",
)
BOTTOM_FURNITURE = (
    "责任编辑：{person}",
    "编辑：{person}  审核：{person}",
    "扫一扫在手机打开当前页",
    "【打印】【关闭】",
    "（来源：{outlet}）",
    "相关稿件",
    "上一篇：{place}召开{topic}工作会议",
    "下一篇：{heading}",
    "网站标识码：4407000001  粤ICP备05096423号",
)
CAPTIONS = ("{outlet}记者 {person} 摄", "▲{scene}。（资料图）", "图为{zone}一角。{outlet}记者 {person} 摄")
SIMPLE_POOLS: dict[str, tuple[str, ...]] = {
    **PHRASES,
    "mind": MONEY_INDICATORS,
    "sind": SHARE_INDICATORS,
    "aind": AREA_PHRASES,
    "product": PRODUCTS,
    "title": TITLES,
    "dept": DEPTS,
    "outlet": OUTLETS,
    "section": SECTIONS,
    "heading": HEADINGS,
    "infra": INFRASTRUCTURE,
    "conn": CONNECTORS,
}
FIGURE_SHARE = 0.36  # of body sentences; headings, furniture and captions come on top
TRADITIONAL_SHARE = 0.05
FULL_WIDTH_SHARE = 0.03


@dataclass(frozen=True, slots=True)
class Story:
    """What one article is about: its date, its place, the zone and cluster it keeps coming back to."""

    published: datetime
    place: str  # 江门 or one of its districts and county-level cities
    zone: str
    cluster: str


@dataclass(slots=True)
class Tally:
    articles: int = 0
    sentences: int = 0
    figure_sentences: int = 0
    traditional: int = 0
    full_width: int = 0
    bytes: int = 0
    distinct: set[int] = field(default_factory=set)


def cn_numeral(n: int) -> str:
    """1–99 in Chinese numerals: 三, 十二, 二十五."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CN_DIGITS[tens] + "十")
    return head + (CN_DIGITS[ones] if ones else "")


class Writer:
    """Fills `{slot}` templates for one story; slots without a `_s_` method come from SIMPLE_POOLS."""

    def __init__(self, rng: random.Random, story: Story) -> None:
        self.rng = rng
        self.story = story
        self.unit = "个"

    def fill(self, template: str) -> str:
        return _SLOT.sub(lambda m: self.slot(m.group(1)), template)

    def slot(self, name: str) -> str:
        maker = getattr(self, f"_s_{name}", None)
        return maker() if maker else self.rng.choice(SIMPLE_POOLS[name])

    def _decimal(self, value: float) -> str:
        return self.rng.choice((f"{value:.2f}", f"{value:.1f}", f"{value:.1f}", str(round(value))))

    # Places and subjects

    def _s_place(self) -> str:
        return self.story.place

    def _s_home(self) -> str:
        place = self.story.place
        if place == "江门":
            return self.rng.choice(("江门", "全市", "我市", "江门市", "全市"))
        return self.rng.choice((place, place, "全" + place[-1]))

    def _s_unit_of_home(self) -> str:
        return self.story.place[-1] if self.story.place != "江门" else "市"

    def _s_sub(self) -> str:
        pick = self.rng.random()
        if pick < 0.4:
            return self._s_home()
        if pick < 0.7:
            return self._s_zone()
        return self.rng.choice(TOWNS if pick < 0.85 else COUNTIES)

    def _s_zone(self) -> str:
        return self.story.zone if self.rng.random() < 0.7 else self.rng.choice(ZONES)

    def _s_town(self) -> str:
        return self.rng.choice(TOWNS)

    def _s_cluster(self) -> str:
        return self.story.cluster if self.rng.random() < 0.6 else self.rng.choice(CLUSTERS)

    def _s_other_cluster(self) -> str:
        return self.rng.choice([name for name in CLUSTERS if name != self.story.cluster])

    def _s_company(self) -> str:
        r = self.rng
        area = r.choice(("江门市", "广东", "台山", "开平", "", ""))
        trade = r.choice(
            ("新能源", "电子", "智能装备", "新材料", "食品", "卫浴", "五金", "电池", "生物", "精密")
        )
        return area + r.choice(COMPANY_HEADS) + trade + r.choice(COMPANY_TAILS)

    def _s_project(self) -> str:
        r = self.rng
        owner = r.choice((r.choice(COMPANY_HEADS) + r.choice(PRODUCTS), self._s_zone(), r.choice(TOWNS)))
        return owner + r.choice(PROJECT_TAILS) + r.choice(("", "", "", "（一期）", "二期"))

    def _s_person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def _s_quote(self) -> str:
        head = self.rng.choice(PHRASES["quote_head"])
        return head if self.rng.random() < 0.3 else f"{head}，{self.rng.choice(PHRASES['quote_tail'])}"

    # Periods and dates

    def _s_period(self) -> str:
        t = self.story.published
        year, month, dash = t.year, t.month, self.rng.choice(PHRASES["dash"])
        options = [f"{year - 1}年", "去年", f"{year}年以来", "今年以来"]
        if month > 2:
            options += [f"今年1{dash}{month - 1}月", f"{year}年1{dash}{month - 1}月"]
        if month >= 4:
            options.append("一季度")
        if month >= 7:
            options += ["上半年", f"{year}年上半年"]
        if month >= 10:
            options.append("前三季度")
        return self.rng.choice(options)

    def _s_md(self) -> str:
        return f"{self.rng.randint(1, self.story.published.month)}月{self.rng.randint(1, 28)}日"

    def _s_month(self) -> str:
        return f"{self.rng.randint(1, self.story.published.month)}月"

    def _s_ty(self) -> str:
        later = self.story.published.year + self.rng.randint(1, 6)
        return str(self.rng.choice((later, later, 2025, 2027, 2030, 2035)))

    # Quantities

    def _s_money(self) -> str:
        if self.rng.random() < 0.65:
            return self._decimal(min(max(self.rng.lognormvariate(3.5, 1.5), 0.5), 9000.0)) + "亿元"
        return self._decimal(self.rng.uniform(50, 99999)) + "万元"

    def _s_money_q(self) -> str:
        return self.rng.choice(("约", "近", "超", "逾", "", "")) + self._s_money()

    def _s_pct(self) -> str:
        value = self.rng.uniform(0.2, 30)
        return f"{round(value)}%" if self.rng.random() < 0.15 else f"{value:.1f}%"

    def _s_pp(self) -> str:
        return f"{self.rng.uniform(0.1, 8):.1f}个百分点"

    def _s_share(self) -> str:
        return f"{self.rng.uniform(5, 98):.1f}%"

    def _s_three_minds(self) -> str:
        return "、".join(self.rng.sample(MONEY_INDICATORS, 3))

    def _s_cind(self) -> str:
        name, self.unit = self.rng.choice(COUNT_INDICATORS).split("/")
        return name

    def _s_count(self) -> str:
        n = max(2, int(self.rng.lognormvariate(4, 1.3)))
        if n <= 12 and self.rng.random() < 0.3:
            return cn_numeral(n) + self.unit
        return (f"{n / 10000:.2f}万" if n >= 10000 else str(n)) + self.unit

    def _s_u(self) -> str:
        return self.unit

    def _s_n(self) -> str:
        return str(self.rng.randint(2, 60))

    def _s_cn(self) -> str:
        return self.rng.choice(("两", *(cn_numeral(n) for n in range(3, 13))))

    def _s_rank(self) -> str:
        return cn_numeral(self.rng.randint(1, 10))

    def _s_area(self) -> str:
        if self.rng.random() < 0.5:
            return f"{self.rng.uniform(1, 200):.1f}平方公里"
        return f"{self.rng.randint(300, 20000)}亩"

    def _s_mu(self) -> str:
        return str(self.rng.randint(50, 3000))

    def _s_wan(self) -> str:
        return f"{self.rng.uniform(10, 3000):.1f}"

    def _s_wanmu(self) -> str:
        return f"{self.rng.uniform(0.5, 60):.2f}"

    def _s_wansqm(self) -> str:
        return f"{self.rng.uniform(1, 80):.1f}"

    def _s_wanjian(self) -> str:
        return str(self.rng.randint(10, 5000))

    def _s_big(self) -> str:
        return str(self.rng.randint(200, 8000))

    def _s_yuan(self) -> str:
        return str(self.rng.randint(18000, 65000))

    def _s_km(self) -> str:
        return f"{self.rng.uniform(3, 120):.1f}"

    def _s_speed(self) -> str:
        return str(self.rng.choice((80, 100, 120, 160, 200, 250, 350)))

    def _s_views(self) -> str:
        return str(self.rng.randint(10, 9999))


def new_story(rng: random.Random) -> Story:
    start = datetime(2019, 1, 1, 8, 0)
    published = start + timedelta(days=rng.randrange(6 * 365), minutes=rng.randrange(11 * 60))
    place = "江门" if rng.random() < 0.45 else rng.choice(COUNTIES)
    return Story(published, place, rng.choice(ZONES), rng.choice(CLUSTERS))


def date_line(w: Writer) -> str:
    r = w.rng
    return r.choice(DATE_STYLES).format(
        t=w.story.published,
        outlet=r.choice(OUTLETS),
        person=w.slot("person"),
        dept=r.choice(DEPTS),
        views=w.slot("views"),
    )


def body_paragraph(w: Writer, tally: Tally) -> str:
    """One to six sentences; each carries figures with probability FIGURE_SHARE."""
    sentences = []
    for _ in range(w.rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5, 6))):
        has_figures = w.rng.random() < FIGURE_SHARE
        sentence = w.fill(w.rng.choice(FIGURE_TEMPLATES if has_figures else PROSE_TEMPLATES))
        tally.sentences += 1
        tally.figure_sentences += has_figures
        tally.distinct.add(hash(sentence))
        sentences.append(sentence)
    return "".join(sentences)


def body(w: Writer, tally: Tally) -> list[str]:
    """6–25 paragraphs with the odd subheading and photo caption between them, a byline on some."""
    r = w.rng
    lines: list[str] = []
    headings = 0
    for _ in range(r.randint(6, 25)):
        if lines and r.random() < 0.08:
            headings += 1
            lines.append(
                f"{cn_numeral(headings)}、{w.slot('heading')}" if r.random() < 0.5 else w.slot("heading")
            )
        elif lines and r.random() < 0.05:
            lines.append(w.fill(r.choice(CAPTIONS)))
        lines.append(body_paragraph(w, tally))
    if r.random() < 0.3:
        lines[0] = f"{r.choice(OUTLETS)}讯（记者/{w.slot('person')} 通讯员/{w.slot('person')}）" + lines[0]
    return lines


def write_article(rng: random.Random, tally: Tally, to_traditional: opencc.OpenCC) -> str:
    w = Writer(rng, new_story(rng))
    lines = [w.fill(rng.choice(TITLE_TEMPLATES))]
    if rng.random() < 0.4:
        lines.append(w.fill(rng.choice(TOP_FURNITURE)))
    lines.append(date_line(w))
    lines += body(w, tally)
    if rng.random() < 0.5:
        lines += [w.fill(line) for line in rng.sample(BOTTOM_FURNITURE, rng.randint(1, 3))]
    text = "\n".join(lines)
    tally.articles += 1
    if rng.random() < FULL_WIDTH_SHARE:
        tally.full_width += 1
        text = text.translate(_FULL_WIDTH)
    if rng.random() < TRADITIONAL_SHARE:
        tally.traditional += 1
        text = to_traditional.convert(text)
    return text


def generate(mb: float = 2.5, seed: int = 7) -> tuple[str, Tally]:
    """The corpus text, at least `mb` million UTF-8 bytes, and what went into it."""
    rng = random.Random(seed)
    to_traditional = opencc.OpenCC("s2t")
    tally = Tally()
    articles: list[str] = []
    while tally.bytes < mb * 1_000_000:
        articles.append(write_article(rng, tally, to_traditional))
        tally.bytes += len(articles[-1].encode()) + len(SEPARATOR.encode())
    text = SEPARATOR.join(articles) + "\n"
    tally.bytes = len(text.encode())
    return text, tally


def write_corpus(path: Path = OUT, mb: float = 2.5, seed: int = 7) -> Tally:
    text, tally = generate(mb, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    return tally


SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def real_texts(shared: Path = SHARED) -> list[tuple[str, str, str]]:
    """(name, text, publication date or "") of the real articles beside this checkout: the five seeds and
    the dev set's texts of `shared/eval/dev` (its dates from dates.tsv). Read at run time, never copied."""
    dev = shared / "eval" / "dev"
    dates: dict[str, str] = {}
    if (dev / "dates.tsv").exists():
        for line in (dev / "dates.tsv").read_text(encoding="utf-8").splitlines():
            stem, _, day = line.partition("\t")
            dates[stem] = day.strip()
    paths = sorted((shared / "seeds").glob("*.txt")) + sorted((dev / "texts").glob("*.txt"))
    return [(p.stem, p.read_text(encoding="utf-8"), dates.get(p.stem, "")) for p in paths]


def repeat_to(texts: list[tuple[str, str, str]], mb: float) -> list[tuple[str, str, str]]:
    """The texts in order, again and again, until they hold at least `mb` million UTF-8 bytes."""
    out: list[tuple[str, str, str]] = []
    size = 0
    while texts and size < mb * 1_000_000:
        for text in texts:
            out.append(text)
            size += len(text[1].encode())
    return out


def split_articles(text: str) -> list[str]:
    """The articles of a corpus file, as written by `generate`."""
    return [part.strip("\n") for part in text.split(SEPARATOR) if part.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=2.5, help="size in millions of UTF-8 bytes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    tally = write_corpus(args.out, args.mb, args.seed)
    print(f"wrote {args.out}")
    share = tally.figure_sentences / tally.sentences
    distinct = len(tally.distinct) / tally.sentences
    print(f"  size       {tally.bytes / 1e6:.2f} MB ({tally.bytes:,} bytes)")
    print(f"  articles   {tally.articles} ({tally.traditional} traditional, {tally.full_width} full-width)")
    print(f"  sentences  {tally.sentences:,} in paragraphs: {share:.0%} with figures, {distinct:.1%} unique")


if __name__ == "__main__":
    main()
